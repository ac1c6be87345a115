"""tlslens.capture"""
