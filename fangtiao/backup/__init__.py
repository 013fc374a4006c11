"""Encrypted backups with a manifest, and verified restore (GB/T 22239-2019 8.1.4.9 a; ADR 0016)."""
