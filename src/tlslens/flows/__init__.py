"""tlslens.flows"""
