"""Payloads for the hostile-file tests that really run code if a loader ever
resolves them, so a test that they are refused can check that nothing ran."""

import base64
import builtins
import marshal
import types


def lambda_function(marker):
    """Keras's serialized form of a Lambda layer's function (base64 of the
    marshalled code, as ``keras.layers.Lambda.get_config`` writes it) whose
    body creates the file ``marker`` when the layer is called."""
    module = compile(f"lambda x: (open({str(marker)!r}, 'w').close(), x)[1]", "<payload>", "eval")
    code = next(c for c in module.co_consts if isinstance(c, types.CodeType))
    return {"class_name": "__lambda__",
            "config": {"code": base64.b64encode(marshal.dumps(code)).decode("ascii"), "defaults": None,
                       "closure": None}}


def call_lambda_function(spec, x=1.0):
    """What a loader that trusted the file would do (Keras's ``func_load``,
    then a call): the proof that ``spec`` runs code."""
    code = marshal.loads(base64.b64decode(spec["config"]["code"]))
    return types.FunctionType(code, {"__builtins__": builtins})(x)
