"""Candor on AWS: the CDK constructs behind `infra/app.py` (docs/deploy.md)."""
