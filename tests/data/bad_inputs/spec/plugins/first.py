import toolkit


@toolkit.grader("clash_corpus")
def clash(task, answer):
    """Registered by two plugins (issue 26)."""
    return 1.0
