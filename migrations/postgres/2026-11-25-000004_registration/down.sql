DROP TABLE registrations;
DROP TABLE journal_counters;
DROP TABLE journals;
