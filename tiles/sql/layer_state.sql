-- Version, visibility epoch and next visibility boundary of every layer (publish 0003).
SELECT layer, version, epoch, next_change FROM publish.layer_state()
