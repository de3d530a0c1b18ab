"""The plan designer: edits and fast re-pay, its widgets, saving plans."""
