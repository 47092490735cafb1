"""The Lambda function run from its deployment package, as Lambda runs it
(issue 14). The directory is not named ``lambda``: that is a Python keyword,
and ``import tests.lambda.packaged`` would not parse."""
