"""Impact evaluation and policy simulation: what a programme caused, and what a change would do."""
