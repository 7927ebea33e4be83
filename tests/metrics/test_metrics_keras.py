"""Every metric against Keras 3.15 on fixed inputs (tests/metrics/metric_cases.py):
results after one batch and after two (accumulation), with and without
sample_weight. rtol 1e-5 (AUC 1e-4, Keras's float32 sums against fastmlp's
float64 counts over 200 thresholds)."""

import numpy as np
import pytest

import fastmlp
import metric_cases

# from Keras 3.15 (torch backend): for each case id, metric_cases.run(keras.metrics, id, weighted)
# -- the result after the first and after the second batch; "/w" with sample_weight=W.
KERAS = {
    'mean': [-1.0, 4.25],
    'mean/w': [-0.400000006, 4.30357122],
    'sum': [-5.0, 51.0],
    'sum/w': [-2.5, 60.25],
    'binary_accuracy': [0.200000003, 0.25],
    'binary_accuracy/w': [0.200000003, 0.232142851],
    'binary_accuracy_0.7': [0.400000006, 0.416666657],
    'binary_accuracy_0.7/w': [0.479999989, 0.517857134],
    'binary_accuracy_ml': [0.600000024, 0.472222239],
    'binary_accuracy_ml/w': [0.573333383, 0.351190507],
    'categorical_accuracy': [0.200000003, 0.25],
    'categorical_accuracy/w': [0.280000001, 0.196428567],
    'sparse_categorical_accuracy': [0.200000003, 0.25],
    'sparse_categorical_accuracy/w': [0.280000001, 0.196428567],
    'top2': [0.400000006, 0.5],
    'top2/w': [0.400000006, 0.535714269],
    'sparse_top2': [0.400000006, 0.5],
    'sparse_top2/w': [0.400000006, 0.535714269],
    'sparse_top1': [0.400000006, 0.333333343],
    'sparse_top1/w': [0.400000006, 0.25],
    'tp': [0.0, 0.0],
    'tp/w': [0.0, 0.0],
    'fp': [[3.0, 2.0, 1.0], [8.0, 5.0, 2.0]],
    'fp/w': [[5.25, 4.0, 2.25], [10.0, 6.75, 2.5]],
    'tn': [2.0, 4.0],
    'tn/w': [4.0, 4.5],
    'fn': [[0.0, 4.0, 8.0], [0.0, 11.0, 18.0]],
    'fn/w': [[0.0, 5.5, 9.0], [0.0, 15.75, 21.0]],
    'precision': [0.0, 0.0],
    'precision/w': [0.0, 0.0],
    'precision_thresholds': [[1.0, 0.545454562, 0.666666687], [0.555555582, 0.461538464, 0.466666669]],
    'precision_thresholds/w': [[1.0, 0.566037714, 0.583333313], [0.333333343, 0.476190478, 0.313432842]],
    'precision_top2': [0.600000024, 0.458333343],
    'precision_top2/w': [0.600000024, 0.4375],
    'precision_class1': [0.0, 0.5],
    'precision_class1/w': [0.0, 0.142857149],
    'precision_top1_class2': [0.0, 0.0],
    'precision_top1_class2/w': [0.0, 0.0],
    'recall': [0.0, 0.0],
    'recall/w': [0.0, 0.0],
    'recall_thresholds': [[0.75, 0.375], [0.666666687, 0.333333343]],
    'recall_thresholds/w': [[0.833333313, 0.194444448], [0.714285731, 0.166666672]],
    'recall_top2_class0': [0.5, 0.666666687],
    'recall_top2_class0/w': [0.875, 0.909090936],
    'auc': [0.0, 0.0],
    'auc/w': [0.0, 0.0],
    'auc_ml_pooled': [0.669642866, 0.484567881],
    'auc_ml_pooled/w': [0.706908822, 0.399801582],
    'auc_pr': [0.76730448, 0.554672837],
    'auc_pr/w': [0.692402244, 0.444938511],
    'auc_pr_minoring': [0.504166663, 0.419598997],
    'auc_pr_minoring/w': [0.558652103, 0.37250787],
    'auc_roc_majoring': [0.714285672, 0.549382687],
    'auc_roc_majoring/w': [0.749287724, 0.465419471],
    'auc_prgain': [0.289018393, -0.0948717967],
    'auc_prgain/w': [0.452663481, -0.116946489],
    'auc_multi_label': [0.666666687, 0.490740687],
    'auc_multi_label/w': [0.774891794, 0.420493215],
    'auc_multi_label_weights': [0.738095284, 0.563492],
    'auc_multi_label_weights/w': [0.787569582, 0.469023287],
    'auc_label_weights': [0.82061547, 0.621375859],
    'auc_label_weights/w': [0.704497695, 0.486998707],
    'auc_thresholds': [0.642857134, 0.466049403],
    'auc_thresholds/w': [0.654558301, 0.370606601],
    'auc_from_logits': [0.669642866, 0.48456791],
    'auc_from_logits/w': [0.706908822, 0.399801612],
    'bce': [0.749008775, 0.980743706],
    'bce/w': [0.62693876, 1.02524829],
    'bce_logits_smooth': [0.763952792, 1.00914872],
    'bce_logits_smooth/w': [0.661031425, 1.07733417],
    'cce': [2.70206189, 2.30806231],
    'cce/w': [2.45818925, 2.29372358],
    'cce_logits_smooth': [2.56906223, 2.26431251],
    'cce_logits_smooth/w': [2.3699894, 2.25434852],
    'scce': [2.70206189, 2.30806231],
    'scce/w': [2.45818925, 2.29372358],
    'scce_logits': [2.70206213, 2.30806255],
    'scce_logits/w': [2.45818925, 2.29372358],
    'mse': [1.33440173, 1.39856577],
    'mse/w': [1.42186594, 1.34006107],
    'mae': [0.975808322, 0.965542793],
    'mae/w': [1.0132575, 0.959563911],
    'rmse': [1.15516305, 1.18260968],
    'rmse/w': [1.19242024, 1.15761006],
    'f1': [[0.666666627, 0.666666567, 0.49999997], [0.363636315, 0.545454502, 0.49999997]],
    'f1/w': [[0.769230723, 0.782608688, 0.166666642], [0.363636315, 0.431372464, 0.352941155]],
    'f1_micro_thr': [0.571428478, 0.424242377],
    'f1_micro_thr/w': [0.466666609, 0.278145641],
    'f1_macro': [0.266666621, 0.287499964],
    'f1_macro/w': [0.252173901, 0.212184846],
    'f1_weighted': [0.696428537, 0.525640965],
    'f1_weighted/w': [0.775680482, 0.501435041],
    'fbeta2': [0.444444448, 0.400656819],
    'fbeta2/w': [0.408272028, 0.255054742],
}


@pytest.mark.parametrize("key", sorted(KERAS))
def test_matches_keras(backend, key):
    case_id, weighted = key.split("/")[0], key.endswith("/w")
    got = metric_cases.run(fastmlp.metrics, case_id, weighted)
    rtol = 1e-4 if case_id.startswith("auc") else 1e-5
    for step, (g, want) in enumerate(zip(got, KERAS[key])):
        assert np.shape(g) == np.shape(want), (step, g, want)
        np.testing.assert_allclose(g, want, rtol=rtol, atol=1e-7, err_msg=f"after batch {step + 1}")


def test_every_case_has_keras_numbers():
    assert {c for c, _, _ in metric_cases.CASES} == {k.split("/")[0] for k in KERAS}
