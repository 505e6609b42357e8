DROP TABLE calendar_days;
DROP TABLE decisions;
DROP TABLE routes;
DROP TABLE route_templates;
