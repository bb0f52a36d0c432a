"""`app scaffold`: new code for this project, written as its own code is (docs/tutorial.md)."""
