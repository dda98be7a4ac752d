"""Evidence, without torch: exponents predicted from a table for measurable quantities (:mod:`.predict`), log-log
slope fits with bootstrap CIs and verdicts (:mod:`.fit`), fitted rows and summaries (:mod:`.summary`; one verify
entry is a typed :class:`.summary_record.Summary`), the append-only result store (:mod:`.store`) and report
rendering (:mod:`.report`).  The verifier writes it; the catalog reads it."""
