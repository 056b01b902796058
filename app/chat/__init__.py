"""Chat Q&A about an engagement's history, answers with verified citations."""
