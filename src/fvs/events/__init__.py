"""Live events of a render: a durable per-project log and the streams that follow it."""
