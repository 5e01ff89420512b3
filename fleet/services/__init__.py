"""Fleet Management services: the one place where fleet state changes."""
