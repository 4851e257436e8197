"""Pure rendering: AccountStatus -> Block Kit (and plain text for the terminal). No I/O."""
