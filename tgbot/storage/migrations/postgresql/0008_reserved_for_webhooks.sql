-- Placeholder: issue 14's webhook branch adds 0008 (processed updates). Migration numbers run
-- 1..N without gaps, so this branch holds the number; at the merge the real 0008 replaces it.
SELECT 1;
