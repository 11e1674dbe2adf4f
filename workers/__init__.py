"""RQ queues, jobs and scheduler registration. Never imports Reflex."""
