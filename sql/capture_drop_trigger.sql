-- capture: remove one capture trigger ({trigger} is generated and quoted). Metadata
-- lock on its table for the moment of the drop.
DROP TRIGGER IF EXISTS {trigger}
