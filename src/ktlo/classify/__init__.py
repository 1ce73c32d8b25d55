"""Classification: the taxonomy, structural signals, the phrase model and evaluation."""

from ktlo.classify.classifier import CLASSIFIER_VERSION, classify, classify_many

__all__ = ["CLASSIFIER_VERSION", "classify", "classify_many"]
