"""An answer from the engine to what is shown and sent: the compiled dumps, present, answers."""
