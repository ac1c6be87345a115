"""tlslens.analysis"""
