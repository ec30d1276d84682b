"""Loads Relay's model in half the time: TensorFlow models without a training step, skops early.

Rasa's `RasaModel.load` builds a model's variables by *training* it on one example
(`model.fit`), then overwrites them with the saved weights. Tracing that training step
(forward pass, gradients, Adam) is most of the Rasa server's start-up: on two cores
about 35 s of DIET's 38 s load and 10 s of TED's 11 s (docs/performance.md, "Start-up").
Here the variables are built by one eager forward pass of the same loss on the same
example instead, and the saved weights then restored as before. Every weight the
prediction uses comes from the checkpoint either way, so predictions are identical
(tests/bot/ops/test_model_loading.py compares the two loaders weight by weight). The
optimizer's state is not rebuilt; it only matters for fine-tuning, which keeps Rasa's
own loader.

The sentiment component's skops is imported first, for another reason: at import it
searches every loaded module (bot/nlu/skops_io.py), which takes 1.7 s in a fresh
interpreter and 7 s or more once Rasa and TensorFlow have loaded 5,700 modules.

`install()` is called by the Rasa server (bot/tools/rasa_server.py) before it imports
Rasa; RELAY_RASA_MODEL_LOAD=rasa leaves both as they were, for comparison.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from bot.nlu import skops_io

logger = logging.getLogger(__name__)

ENV_LOADER = "RELAY_RASA_MODEL_LOAD"
RASA_LOADER = "rasa"  # the value of ENV_LOADER that keeps Rasa's own loader
_ORIGINAL = "_relay_original_load"


def load_without_fit(
    cls: Any,
    model_file_name: str,
    model_data_example: Any,
    predict_data_example: Any = None,
    finetune_mode: bool = False,
    *args: Any,
    **kwargs: Any,
) -> Any:
    """`RasaModel.load` with the one-example training step replaced by one forward pass."""
    if finetune_mode:  # fine-tuning continues training: it needs the optimizer's state
        original = getattr(cls, _ORIGINAL)
        return original.__func__(
            cls, model_file_name, model_data_example, predict_data_example, True, *args, **kwargs
        )
    from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator
    from rasa.utils.tensorflow.models import tf  # TensorFlow, as Rasa imports it (no stubs)

    logger.debug(f"Loading the model from {model_file_name} without a training step...")
    model = cls(*args, **kwargs)
    config = kwargs.get("config", {})
    model.compile(
        optimizer=tf.keras.optimizers.Adam(config.get("learning_rate", 0.001)),
        run_eagerly=config.get("run_eagerly"),
    )
    # The example batch `fit` would train on; the loss's forward pass creates every variable.
    batch = RasaBatchDataGenerator(model_data_example, batch_size=1, shuffle=False)[0]
    model._training = True
    model.batch_loss(batch)
    model._training = None
    # The optimizer's variables were not built: that part of the checkpoint stays unread.
    model.load_weights(model_file_name).expect_partial()
    if predict_data_example:
        model.run_inference(predict_data_example)  # traces the prediction function, as Rasa does
    logger.debug("Finished loading the model.")
    return model


def install() -> bool:
    """Imports skops, then makes `RasaModel.load` build models without a training step.

    Idempotent; call it before importing Rasa. False (and nothing done) when ENV_LOADER
    is RASA_LOADER.
    """
    if os.environ.get(ENV_LOADER, "").strip().lower() == RASA_LOADER:
        return False
    skops_io.load()
    from rasa.utils.tensorflow.models import RasaModel

    if not hasattr(RasaModel, _ORIGINAL):
        setattr(RasaModel, _ORIGINAL, RasaModel.__dict__["load"])
        RasaModel.load = classmethod(load_without_fit)
    return True


def uninstall() -> None:
    """Puts Rasa's own loader back (tests)."""
    from rasa.utils.tensorflow.models import RasaModel

    original = RasaModel.__dict__.get(_ORIGINAL)
    if original is not None:
        RasaModel.load = original
        delattr(RasaModel, _ORIGINAL)
