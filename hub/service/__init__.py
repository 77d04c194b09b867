"""The service layer: the application that records what the intake decides."""
