"""The pension estimate (养老金估算): its API and page routes."""
