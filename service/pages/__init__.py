"""The public pages: the 测算 and 参数 pages, the region picker, guidance, coverage, places."""
