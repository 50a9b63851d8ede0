"""A log line shows a scalar only when it was updated since the previous line.

mmengine's ``LogProcessor`` shows every scalar the message hub has ever held, at its last value: a diagnostic a
model computes every N iterations only (Mask3D's ``copy_baseline_l1``) then repeats that value on the lines in
between, as if it had been measured again. ``FreshScalarsLogProcessor`` leaves such a scalar out of the lines
(console, log file and ``scalars.json``) until it is computed again; scalars updated every iteration (losses, lr,
time) are unaffected.
"""
from mmengine.registry import LOG_PROCESSORS
from mmengine.runner import LogProcessor


@LOG_PROCESSORS.register_module()
class FreshScalarsLogProcessor(LogProcessor):
    """``LogProcessor`` (same arguments) without the scalars that no update reached since the previous line."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._history_at_last_line = {}  # (reserve_prefix, hub key) -> the buffer's history array at that line

    def _collect_scalars(self, custom_cfg, runner, mode, reserve_prefix=False):
        tag = super()._collect_scalars(custom_cfg, runner, mode, reserve_prefix)
        for hub_key, buffer in runner.message_hub.log_scalars.items():
            if not hub_key.startswith(f'{mode}/'):
                continue
            # HistoryBuffer.update replaces its history array (np.append): the same array = no update since
            history = buffer.data[0]
            previous = self._history_at_last_line.get((reserve_prefix, hub_key))
            self._history_at_last_line[(reserve_prefix, hub_key)] = history
            if previous is history:
                tag.pop(hub_key if reserve_prefix else hub_key[len(mode) + 1:], None)
        return tag
