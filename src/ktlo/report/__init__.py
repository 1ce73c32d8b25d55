"""The report's documents: what `ktlo report`, its HTML and the dashboard show, computed
once (`document`) from the filtered base tables of `model`: the investment `sections`, the
operational ones (`ops`), the steering ones (`steer`) and the drill-down `items`. Drawn by
ktlo.render."""
