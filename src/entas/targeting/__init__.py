"""entas.targeting: proxy-means models, desil ranking and targeting-error figures (see docs/targeting.md)."""
