"""Real deals paid by real plans: replay, statements, plan-vs-plan comparison."""
