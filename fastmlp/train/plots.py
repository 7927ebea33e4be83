"""The PNG figures ``fastmlp-train`` writes (matplotlib, Agg canvas, no pyplot):
sample images, training curves, confusion matrix, test predictions.

matplotlib is an optional extra (``pip install fastmlp[plot]``) and is imported
only inside these functions, never when this module is imported. Each
function returns the PNG file as ``bytes``; the caller writes it (atomically).
Figures are drawn on an explicit Agg canvas, so no GUI backend is touched and
no global pyplot state is kept between calls.
"""

from __future__ import annotations

import io

import numpy as np

DPI = 100


def available():
    """``None`` when matplotlib can be imported, else the ImportError's text."""
    try:
        import matplotlib  # noqa: F401
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: F401
        from matplotlib.figure import Figure  # noqa: F401
    except ImportError as exc:
        return str(exc) or "matplotlib is not installed"
    return None


def _figure(width, height):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _grid_shape(n, cols=5):
    return -(-n // cols), cols


def samples(images, labels, class_names, title=None):
    """A 5x5 grid of images with their class names underneath (as in the
    TensorFlow Fashion-MNIST tutorial's first figure)."""
    n = min(25, len(images))
    rows, cols = _grid_shape(n)
    fig = _figure(8, 1.7 * rows + 0.6)
    for i in range(n):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.imshow(images[i], cmap="binary", vmin=0, vmax=255 if images.dtype == np.uint8 else 1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(class_names[int(labels[i])], fontsize=10)
    if title:
        fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    return _png(fig)


def curves(history, test_loss=None, test_accuracy=None, title=None):
    """Loss and accuracy per epoch: training, validation when present, and the
    final test value as a dashed line."""
    from matplotlib.ticker import MaxNLocator

    fig = _figure(11, 4.2)
    epochs = np.arange(1, len(history.get("loss", [])) + 1)
    panels = (("loss", "Loss", test_loss), ("accuracy", "Accuracy", test_accuracy))
    for i, (key, label, test_value) in enumerate(panels):
        ax = fig.add_subplot(1, 2, i + 1)
        if key in history:
            ax.plot(epochs, history[key], "o-", color="tab:blue", label=f"training {key}")
        if f"val_{key}" in history:
            ax.plot(epochs, history[f"val_{key}"], "s-", color="tab:orange", label=f"validation {key}")
        if test_value is not None:
            ax.axhline(test_value, linestyle="--", color="tab:green",
                       label=f"test {key} ({test_value:.4f})")
        ax.set_title(label)
        ax.set_xlabel("Epoch")
        ax.set_ylabel(label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if len(epochs) == 1:
            ax.set_xlim(0.5, 1.5)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="best", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    return _png(fig)


def confusion_matrix(matrix, class_names, title=None):
    """The confusion matrix (rows: true class, columns: predicted class), the
    count written in every cell."""
    matrix = np.asarray(matrix)
    k = len(class_names)
    long_names = max(len(name) for name in class_names) > 3
    fig = _figure(9 if long_names else 7.5, 8 if long_names else 7)
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(matrix, cmap="Blues", interpolation="nearest")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xticklabels(class_names, rotation=45 if long_names else 0,
                       ha="right" if long_names else "center")
    ax.set_yticklabels(class_names)
    ax.set_xlabel("Predicted label")
    ax.set_ylabel("True label")
    threshold = matrix.max() / 2.0 if matrix.size else 0
    size = 9 if matrix.max(initial=0) < 10000 else 7
    for i in range(k):
        for j in range(k):
            ax.text(j, i, str(int(matrix[i, j])), ha="center", va="center", fontsize=size,
                    color="white" if matrix[i, j] > threshold else "black")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return _png(fig)


def prediction_indices(y_true, y_pred, first=20, wrong=5):
    """Which test images to show: the first ``first`` ones, then up to
    ``wrong`` misclassified ones from further on (so errors are always seen)."""
    n = len(y_true)
    shown = list(range(min(first, n)))
    misses = np.flatnonzero(np.asarray(y_true)[len(shown):] != np.asarray(y_pred)[len(shown):])
    shown += [int(i) + len(shown) for i in misses[:wrong]]
    return shown


def predictions(images, y_true, y_pred, class_names, confidence=None, title=None):
    """Test images titled "pred (true)"; wrong predictions in red with a red frame."""
    shown = prediction_indices(y_true, y_pred)
    rows, cols = _grid_shape(len(shown))
    fig = _figure(10, 2.05 * rows + 0.7)
    for slot, i in enumerate(shown):
        ax = fig.add_subplot(rows, cols, slot + 1)
        ax.imshow(images[i], cmap="binary", vmin=0, vmax=255 if images.dtype == np.uint8 else 1)
        ax.set_xticks([])
        ax.set_yticks([])
        right = int(y_pred[i]) == int(y_true[i])
        color = "black" if right else "red"
        text = f"{class_names[int(y_pred[i])]} ({class_names[int(y_true[i])]})"
        if confidence is not None:
            text += f"\n#{i}  {100 * float(confidence[i]):.0f}%"
        else:
            text += f"\n#{i}"
        ax.set_title(text, color=color, fontsize=9)
        if not right:
            for spine in ax.spines.values():
                spine.set_edgecolor("red")
                spine.set_linewidth(2.5)
    if title:
        fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    return _png(fig)
