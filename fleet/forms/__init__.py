"""Forms of the Fleet Management pages, one module per area. Forms only validate; pages hand the cleaned
data to fleet.services."""
