-- Each lead's final and highest total score, and its final fit, for measuring the model.
SELECT l.lead_id, l.total_score AS final_total, l.fit_score AS final_fit,
       (SELECT max(s.total_score) FROM lead_scores AS s WHERE s.lead_id = l.lead_id) AS peak_total
FROM leads AS l
