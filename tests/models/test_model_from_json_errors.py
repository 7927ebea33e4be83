"""model_from_json on architectures missing their layers: a clear ValueError."""

import json

import pytest

import fastmlp


@pytest.mark.parametrize("config", [{"name": "m"}, {"name": "m", "layers": None}, {"layers": "dense"}])
def test_a_model_entry_without_a_list_of_layers_is_a_value_error(config):
    with pytest.raises(ValueError, match="'layers' as a list"):
        fastmlp.models.model_from_json(json.dumps({"class_name": "Sequential", "config": config}))
