-- Take the warehouse's run lock (PostgreSQL session advisory lock) if it is free.
SELECT pg_try_advisory_lock(:key) AS acquired
