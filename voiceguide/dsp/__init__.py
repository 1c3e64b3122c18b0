"""dsp stage: signal processing every sound shares: loudness (BS.1770), true peak, the limiter, levelling."""
