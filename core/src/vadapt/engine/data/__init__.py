"""Examples -> checked, encoded targets -> model batches."""
