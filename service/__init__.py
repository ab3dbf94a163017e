"""The service around the pipeline, for the CLI and the scheduler: status, the demo, what the CLI prints."""
