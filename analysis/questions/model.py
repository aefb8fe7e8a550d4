"""Does a DCGAN train more stably than the MLP? The related reports' question, asked of a model axis.

The model axis may be linked with spectral norm (the DCGAN with spectral norm in D against Figure 1's MLP); the
question names what the DCGAN's value sets. Its comparisons are an axis question's (analysis.questions.axis).
"""

from __future__ import annotations

from analysis.questions.axis import AxisQuestion

MODEL = "model"


class ModelQuestion(AxisQuestion):
    @property
    def text(self) -> str:
        models = {value[self.axis.index(MODEL)] for value in self.values}
        if models != {"mlp", "dcgan"} or len(self.values) != 2:
            return super().text
        dcgan = next(value for value in self.values if value[self.axis.index(MODEL)] == "dcgan")
        settings = dict(zip(self.axis, dcgan))
        with_norm = " with spectral norm" if settings.get("spectral_norm") is True else ""
        return f"Does a DCGAN{with_norm} train more stably than the MLP?"
