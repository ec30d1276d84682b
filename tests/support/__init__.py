"""Stand-ins shared by the tests: import them from here, never from another test module."""
