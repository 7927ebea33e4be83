"""fastmlp.utils.naming: Keras's automatic names and clear_session."""

import fastmlp
from fastmlp.utils import naming


def test_names_count_up_per_prefix_and_clear_session_restarts_them():
    fastmlp.utils.clear_session()
    assert [fastmlp.layers.Dense(1).name for _ in range(3)] == ["dense", "dense_1", "dense_2"]
    assert fastmlp.layers.BatchNormalization().name == "batch_normalization"
    fastmlp.backend.clear_session()  # Keras's keras.backend.clear_session does the same
    assert fastmlp.layers.Dense(1).name == "dense"


def test_to_snake_case():
    assert naming.to_snake_case("BatchNormalization") == "batch_normalization"
    assert naming.to_snake_case("Dense") == "dense"
