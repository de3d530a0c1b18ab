"""What is simulated: the scenario, the organisation, the market, quotas, behaviour and
territories.
"""
