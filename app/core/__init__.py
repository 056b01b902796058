"""The pure core shared by every feature: text, facts and vocabulary."""
