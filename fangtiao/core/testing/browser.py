"""Browser-test fixtures (Playwright driving the system Chromium). Filled in by the browser harness."""
