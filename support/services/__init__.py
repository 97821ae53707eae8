"""The only writers of the support domain. Each function takes explicit arguments (the actor, the
engagement, the data), flushes, writes the audit entry and never commits: the request commits once.

- ``requests``: drafting, the municipality's release, the triage pipeline, service levels;
- ``staffing``: skills, supporter profiles, assignment;
- ``workspace``: meetings, next actions, files, time logs, outcomes;
- ``closing``: the satisfaction survey and the hand-over to a draft case.
"""
