"""`ogi import` / `ogi import-appeals`: load an agency's ledger (台账) of past applications and appeals."""
