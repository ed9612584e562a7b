"""Test support: the fake broker, the real-broker launcher and what the integration tests share."""
