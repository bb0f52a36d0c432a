"""The consumer process: HANDLERS_MAP, the dispatcher and the runner behind `app consume`."""
