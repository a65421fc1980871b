"""Training: e-commerce courses for trainee cohorts, classes and attendance, certificates."""
