"""The benchmark harness (`fangtiao bench`): a deterministic data generator scaled to a number of
cases, a registry of measured operations, and a runner that measures them against the real server
next to a floor (a bare Django view), so every later issue can show what its pages cost."""
