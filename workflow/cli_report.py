"""`ogi report …`: the annual report (国办公开办函〔2021〕30号) — statistics, inputs, lock, export, drill-down."""
