"""The API's endpoints, one router per group: estimates (one engineer, or a
batch), the market (curves, pay ranges, what the model knows), and health."""
